export { startGateway, type GatewayOptions, type RunningGateway } from './gateway.js';
export { loadGatewayConfig, type GatewayConfig } from './config.js';
export { CLOSE_CODES } from '@helpdesk/shared';
export { assertNativeUws, isNativeUws, UWS_MAX_HEADER_LINES } from './uws-native.js';
export type { NotReadyReason } from './health.route.js';
