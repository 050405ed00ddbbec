// The deployment scenario's preparation: the target's data made or found through its REST API,
// what one source address can open said up front, and this run's keys revoked at the end.

import { ensureDeploymentFixtures, revokeRunKeys } from './deployment-fixtures.js';
import { socketsPerSourceAddress, type MachineFacts } from './machine.js';
import type { DeploymentOptions, RunOptions } from './plan.js';
import type { DeploymentTarget } from './run.js';

export async function prepareDeployment(
  options: DeploymentOptions,
  key: string,
  runs: readonly RunOptions[],
  machine: MachineFacts,
): Promise<{ target: DeploymentTarget; cleanup: () => Promise<void> }> {
  const orgs = Math.max(...runs.map((r) => r.orgs));
  const helpDesks = Math.max(...runs.map((r) => r.helpDesks));
  const sockets = Math.max(...runs.map((r) => r.sockets));
  const perAddress = socketsPerSourceAddress(machine.localPortRange);
  const addresses = Math.max(1, options.sourceAddresses.length);
  const destinations = options.wsUrls.length;
  console.log(
    perAddress === undefined
      ? 'could not read the ephemeral port range (/proc/sys/net/ipv4/ip_local_port_range)'
      : `one source address opens at most ${perAddress.toLocaleString('en-US')} sockets to one destination ` +
          `(ephemeral ports ${machine.localPortRange}); with ${addresses} source address(es) and ${destinations} ` +
          `socket URL(s): at most ${(perAddress * addresses * destinations).toLocaleString('en-US')} sockets from here`,
  );
  if (perAddress !== undefined && sockets > perAddress * addresses * destinations)
    console.log(
      `  ${sockets.toLocaleString('en-US')} sockets asked: add --source-addresses, socket URLs, or load machines`,
    );

  const names = Array.from({ length: orgs }, (_, i) => `${options.orgPrefix}-${i}`);
  const apiUrl = options.urls[0]!;
  console.log(`preparing ${orgs} organizations × ${helpDesks} help desks on ${apiUrl} …`);
  const fixtures = await ensureDeploymentFixtures(apiUrl, key, names, helpDesks);
  console.log(
    `  ${fixtures.createdOrganizations} organizations and ${fixtures.createdHelpDesks} help desks created, the rest reused; one key per organization for this run`,
  );
  return {
    target: {
      httpUrls: options.urls,
      wsUrls: options.wsUrls,
      organizations: names,
      helpDesks: fixtures.helpDesks,
      apiKeys: fixtures.apiKeys,
      sourceAddresses: options.sourceAddresses,
    },
    cleanup: () =>
      revokeRunKeys(apiUrl, key, fixtures).catch((error: unknown) =>
        console.error(`could not revoke this run's keys: ${String(error)}`),
      ),
  };
}
