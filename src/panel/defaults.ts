/** Where the device panel listens unless --panel says otherwise; apart from server.ts so the CLI can name it cheaply. */
export const DEFAULT_PANEL_HOST = '127.0.0.1';
export const DEFAULT_PANEL_PORT = 5174;
