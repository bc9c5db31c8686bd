/** The browser bridge: the page shim, its WebSocket server, and the Playwright helper. */
export { pageShimScript, type ShimChannel } from './pageShim.js';
export { startBridgeServer, normalizeOrigin, type BridgeServer, type BridgeServerOptions } from './server.js';
export { startShimProxy, injectScript, type ShimProxy, type ShimProxyOptions } from './shimProxy.js';
export { BridgeSession, type BridgeClient } from './session.js';
export { attach, type AttachOptions, type AttachableKey, type Attachment } from './playwright.js';
export * from './protocol.js';
