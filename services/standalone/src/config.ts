import { loadApiConfig, type ApiConfig } from '@helpdesk/api';
import { loadGatewayConfig, type GatewayConfig } from '@helpdesk/gateway';
import { ConfigError, type Env } from '@helpdesk/shared';
import { withEmbeddedSecrets } from './embedded-secrets.js';

export interface StandaloneConfig {
  /** The one public port, the api's: REST and /ws/chat/… (PORT, default 8000). */
  port: number;
  host: string;
  api: ApiConfig;
  /** Behind the api, on a loopback port of its own, for the chat sockets the api passes it. */
  gateway: GatewayConfig;
  /** Secrets generated on this (first) start, with their values, and the file that now holds them. */
  generatedSecrets: { values: Record<string, string>; path: string };
  /**
   * Run by a package manager's script (`pnpm start`, which sets npm_lifecycle_event): stop when
   * it exits, since it does not pass SIGTERM on.
   */
  stopWithParent: boolean;
}

/** The embedded configuration, with DATA_DIR/.env's secrets (generated on first start). */
export async function loadEmbeddedConfig(processEnv: Env = process.env): Promise<StandaloneConfig> {
  const secrets = await withEmbeddedSecrets(processEnv);
  const values = Object.fromEntries(secrets.generated.map((name) => [name, secrets.env[name] ?? '']));
  return {
    ...parseConfig(secrets.env),
    generatedSecrets: { values, path: secrets.path },
    stopWithParent: processEnv.npm_lifecycle_event !== undefined,
  };
}

/**
 * The embedded mode reads the api's and the gateway's variables from one environment: both
 * services' loaders validate their own, and every problem is reported together.
 */
function parseConfig(env: Env): Omit<StandaloneConfig, 'generatedSecrets' | 'stopWithParent'> {
  const problems: string[] = [];
  const attempt = <T>(load: () => T): T | undefined => {
    try {
      return load();
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      problems.push(...error.problems);
      return undefined;
    }
  };
  const api = attempt(() => loadApiConfig(env));
  // PORT and HOST are the api's: the gateway listens where only the api reaches it.
  const gateway = attempt(() => loadGatewayConfig({ ...env, PORT: '0', HOST: '127.0.0.1' }));
  const unique = [...new Set(problems)];
  if (unique.length > 0 || !api || !gateway) throw new ConfigError(unique);
  return {
    port: api.port,
    host: api.host,
    api,
    // Every socket reaches the gateway through the api's port, which appends the address it saw to
    // X-Forwarded-For like any proxy: the gateway trusts the proxies the api trusts (TRUST_PROXY),
    // and that one more hop. WS_TRUST_PROXY is the distributed gateway's.
    gateway: { ...gateway, trustedProxies: api.trustProxy + 1 },
  };
}
