#!/usr/bin/env node
/**
 * `portcullis run | check-config | dev-idp | demo`. The command line is the one edge that
 * reads `process.env` and argv; everything below it receives values.
 */

import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { loadConfig, type Config } from './config/index.js';
import { formatProblems, isPortcullisError, ValidationError } from './errors/index.js';
import type { WorkerLink } from './workers/index.js';

const USAGE = `Usage: portcullis <command> [options]

Commands:
  run            Start the gateway
                   --config FILE   configuration file (default: $PORTCULLIS_CONFIG or ./portcullis.yaml)
                   With AUTHENTIK_HOST and AUTHENTIK_TOKEN set, the applications come from
                   authentik's API (like authentik's outposts); the file, if any, adds local settings.
  check-config   Validate a configuration file and print "ok" or every problem
                   --config FILE
                   --connect       also ask each IdP for discovery and each upstream for an
                                   answer, and describe every application (exit 1 if one fails)
  dev-idp        Start the development OpenID Provider (loopback only)
                   --users FILE    users, groups and clients (YAML)
                   --port N        port (default 9100)
                   --host H        address (default 127.0.0.1)
  schema         Print the configuration file's JSON Schema (draft 2020-12), for editors
  demo           Start the development IdP, an echo upstream and the gateway on loopback
                   --authentik     configure the gateway from the IdP's mimic of authentik's API
  help           Show this text

Exit codes: 0 success, 1 runtime failure, 2 invalid configuration or usage.
`;

type Command = (args: string[]) => Promise<number>;

const COMMANDS: Record<string, Command> = {
  run: runCommand,
  'check-config': checkConfigCommand,
  'dev-idp': devIdpCommand,
  demo: demoCommand,
  schema: async () => {
    const { configJsonSchema } = await import('./config/index.js');
    process.stdout.write(`${JSON.stringify(configJsonSchema(), null, 2)}\n`);
    return 0;
  },
  help: async () => {
    process.stdout.write(USAGE);
    return 0;
  },
};

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h') {
    process.stdout.write(USAGE);
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (command === undefined) {
    process.stderr.write(`portcullis: unknown command "${name}"\n\n${USAGE}`);
    return 2;
  }
  try {
    return await command(rest);
  } catch (error) {
    return reportFailure(error);
  }
}

function reportFailure(error: unknown): number {
  if (error instanceof ValidationError) {
    process.stderr.write(`${error.source}: invalid configuration\n${formatProblems(error.problems)}\n`);
    return 2;
  }
  if (isPortcullisError(error, 'PCL_CONFIG_UNREADABLE') || isPortcullisError(error, 'PCL_USAGE')) {
    process.stderr.write(`portcullis: ${error.message}\n`);
    return 2;
  }
  process.stderr.write(`portcullis: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  return 1;
}

function configPath(args: string[]): string {
  const { values } = parseArgs({ args, options: { config: { type: 'string', short: 'c' } }, strict: true });
  return resolve(values.config ?? process.env.PORTCULLIS_CONFIG ?? 'portcullis.yaml');
}

async function checkConfigCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { config: { type: 'string', short: 'c' }, connect: { type: 'boolean' } }, strict: true });
  const config = await loadConfig(resolve(values.config ?? process.env.PORTCULLIS_CONFIG ?? 'portcullis.yaml'), process.env);
  const { checkConnections, validatePolicies } = await import('./check-config.js');
  await validatePolicies(config);
  process.stdout.write('ok\n');
  if (values.connect !== true) {
    return 0;
  }
  const report = await checkConnections(config);
  process.stdout.write(`${report.lines.join('\n')}\n`);
  return report.ok ? 0 : 1;
}

async function runCommand(args: string[]): Promise<number> {
  const { isWorkerProcess, joinPrimary, turnOffPretenuring } = await import('./workers/index.js');
  // First, before the gateway allocates: the Docker image passes the flag, a process started by
  // hand gets it here (a worker has it on its command line already).
  turnOffPretenuring(process.execArgv);
  // A worker of `workers: N` (forked by the primary with this same command line) answers its
  // primary from the start, and closes the channel at the end so that it exits with its code.
  const worker = isWorkerProcess() ? joinPrimary() : undefined;
  try {
    return await runAs(args, worker);
  } finally {
    worker?.leave();
  }
}

async function runAs(args: string[], worker: WorkerLink | undefined): Promise<number> {
  const { wantsAuthentik, authentikSettingsFrom } = await import('./authentik/index.js');
  const run = await import('./run.js');
  const options = worker === undefined ? {} : { worker };
  if (wantsAuthentik(process.env)) {
    // Configured by authentik: a configuration file, if named or present, adds local settings.
    const file = configPath(args);
    const named = hasConfigOption(args) || process.env.PORTCULLIS_CONFIG !== undefined;
    const local = named || existsSync(file) ? file : null;
    const settings = authentikSettingsFrom(process.env);
    if (worker === undefined) {
      const reread = (): Promise<Config> => run.authentikLocalSettings(settings, local, process.env);
      const primary = await run.runWorkersIfAsked(await reread(), reread, true);
      if (primary !== null) return primary;
    }
    return run.runWithAuthentik(settings, local, process.env, options);
  }
  const path = configPath(args);
  const config = await loadConfig(path, process.env);
  if (worker === undefined) {
    const primary = await run.runWorkersIfAsked(config, () => loadConfig(path, process.env));
    if (primary !== null) return primary;
  }
  return run.runGateway(config, options);
}

function hasConfigOption(args: string[]): boolean {
  return args.some((arg) => arg === '--config' || arg === '-c' || arg.startsWith('--config='));
}

async function devIdpCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { users: { type: 'string' }, port: { type: 'string' }, host: { type: 'string' } },
    strict: true,
  });
  if (values.users === undefined) {
    process.stderr.write('portcullis dev-idp: --users FILE is required\n');
    return 2;
  }
  const port = values.port === undefined ? 9100 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write(`portcullis dev-idp: --port: expected a port number, got "${values.port}"\n`);
    return 2;
  }
  const { startDevIdp } = await import('./devidp/index.js');
  const { untilSignal } = await import('./run.js');
  const idp = await startDevIdp({ users: resolve(values.users), port, host: values.host ?? '127.0.0.1' });
  process.stdout.write(`development IdP listening; issuer ${idp.issuer}\n`);
  await untilSignal();
  await idp.close();
  return 0;
}

async function demoCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { authentik: { type: 'boolean' } }, strict: true });
  const { runDemo } = await import('./demo/index.js');
  return runDemo({ authentik: values.authentik === true });
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.exitCode = reportFailure(error);
  },
);
