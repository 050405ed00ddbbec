export { createApi, type ApiDependencies } from './create-api.js';
export type { UpgradeRoute } from './http/socket-upgrades.js';
export { closeWithDetail } from './http/raw-answer.js';
export { loadApiConfig, type ApiConfig } from './config.js';
export { createLogger } from './logger.js';
export { openDatabase } from './db/database.js';
export { migrateToLatest } from './db/migrator.js';
export { OutboxHistory, outboxHistoryOf } from './events/outbox-history.js';
