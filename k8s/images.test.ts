import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT, SERVICES, type ServiceName } from './service-config.js';

// The Dockerfiles cannot be built here (no Docker engine); their instructions are read and checked
// against the issue's requirements and the services' source: glibc Node 20 base, pnpm 10 from npm,
// frozen lockfile, `pnpm deploy --prod` into a runtime stage that has nothing else, a non-root
// user, and a healthcheck, port and entry point that exist in the service.

interface Instruction {
  keyword: string;
  args: string;
}

interface Stage {
  from: string;
  name: string | undefined;
  instructions: Instruction[];
}

function readDockerfile(relativePath: string): Stage[] {
  const text = readFileSync(join(REPO_ROOT, relativePath), 'utf8')
    .split('\n')
    .filter((line) => !/^\s*#/.test(line))
    .join('\n')
    .replace(/\\\n/g, ' ');
  const args = new Map<string, string>();
  const stages: Stage[] = [];
  for (const line of text.split('\n')) {
    const match = /^\s*([A-Za-z]+)\s+(.*)$/.exec(line);
    if (!match) continue;
    const keyword = (match[1] as string).toUpperCase();
    const rest = (match[2] as string).trim();
    if (keyword === 'ARG' && stages.length === 0) {
      const [name, value] = rest.split('=');
      args.set(name as string, value ?? '');
      continue;
    }
    if (keyword === 'FROM') {
      const [image, as, name] = rest.replace(/\$\{(\w+)\}/g, (_all, arg: string) => args.get(arg) ?? '').split(/\s+/);
      stages.push({ from: image as string, name: as?.toUpperCase() === 'AS' ? name : undefined, instructions: [] });
      continue;
    }
    stages.at(-1)?.instructions.push({ keyword, args: rest });
  }
  return stages;
}

const packageName = (service: ServiceName): string =>
  (JSON.parse(readFileSync(join(REPO_ROOT, 'services', service, 'package.json'), 'utf8')) as { name: string }).name;

describe.each(['api', 'gateway'] as const)('services/%s/Dockerfile', (service) => {
  const stages = readDockerfile(SERVICES[service].dockerfile);
  const build = stages.slice(0, -1).flatMap((stage) => stage.instructions);
  const runtime = stages.at(-1) as Stage;
  const runs = build.filter((instruction) => instruction.keyword === 'RUN').map((instruction) => instruction.args);
  const only = (keyword: string): string[] =>
    runtime.instructions
      .filter((instruction) => instruction.keyword === keyword)
      .map((instruction) => instruction.args);

  it('builds and runs on Node 20 with glibc (bookworm-slim), in several stages', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    for (const stage of stages) expect(stage.from).toBe('node:20-bookworm-slim');
  });

  it('installs pnpm 10 with npm and the workspace from the frozen lockfile, then deploys the service for production', () => {
    const name = packageName(service);
    expect(runs.some((run) => /npm install (--global|-g)\b.*\bpnpm@10\b/.test(run))).toBe(true);
    expect(runs.some((run) => /pnpm install\b.*--frozen-lockfile/.test(run))).toBe(true);
    expect(runs.some((run) => run.includes(`pnpm --filter "${name}..." run build`))).toBe(true);
    expect(runs.some((run) => run.includes(`pnpm --filter ${name} deploy --legacy --prod /out`))).toBe(true);
  });

  it('gives the runtime stage only the deployed service, as a non-root user, in production mode', () => {
    for (const copy of only('COPY')) expect(copy).toMatch(/^--from=\w+ \/out\//);
    expect(only('RUN')).toEqual([]);
    expect(only('ENV')).toContain('NODE_ENV=production');
    const [user] = only('USER');
    expect(user).toMatch(/^[0-9]+(:[0-9]+)?$/);
    expect(Number(user?.split(':')[0])).toBeGreaterThan(0);
  });

  it('exposes the default port, checks /healthz there, and starts dist/main.js built from src/main.ts', () => {
    const port = SERVICES[service].variables.get('PORT');
    expect(only('EXPOSE')).toEqual([port]);
    const [healthcheck] = only('HEALTHCHECK');
    expect(healthcheck).toContain(`(process.env.PORT || ${port}) + '/healthz'`);
    expect(SERVICES[service].getRoutes.has('/healthz')).toBe(true);
    expect(only('CMD')).toEqual(['["node", "dist/main.js"]']);
    expect(existsSync(join(REPO_ROOT, 'services', service, 'src/main.ts'))).toBe(true);
  });
});

describe('.dockerignore', () => {
  it('keeps installed and built files of the host out of the build context', () => {
    const patterns = readFileSync(join(REPO_ROOT, '.dockerignore'), 'utf8')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '' && !line.startsWith('#'));
    for (const pattern of ['**/node_modules', '**/dist', '.git', '.env']) expect(patterns).toContain(pattern);
  });
});
