/** The version `softkey --version` prints and `softkey start` announces. */
export const VERSION = '0.1.0';
