export { startGateway, type GatewayOptions, type RunningGateway } from './gateway.js';
export { loadGatewayConfig, type GatewayConfig } from './config.js';
export { CLOSE_CODES } from '@helpdesk/shared';
export { assertNativeUws, isNativeUws } from './uws-native.js';
export type { ProxyTarget } from './http-proxy.js';
