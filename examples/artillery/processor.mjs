// Artillery processor: softkey's passkey ceremonies (softkey/artillery). Installed as a package,
// softkey resolves by name; inside this repository it resolves to the build (npm run build).
export * from 'softkey/artillery';
