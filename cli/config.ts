import { Command } from 'commander';
import { configSummary, loadConfig } from '../app/config.js';
import { isSluiceError } from '../core/errors.js';

/** Where `sluice config check` writes. */
export interface ConfigIo {
  readonly env: Record<string, string | undefined>;
  out(text: string): void;
  err(text: string): void;
  exit(code: number): void;
}

const processIo: ConfigIo = {
  env: process.env,
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
  exit: (c) => process.exit(c),
};

/**
 * `sluice config check [--role r]`: validates the environment exactly as `sluice start` would, without starting or
 * connecting to anything; prints the resolved configuration (secrets hidden) as JSON and exits 0, or names what is
 * wrong and exits 2.
 */
export function configCommand(io: ConfigIo = processIo): Command {
  const config = new Command('config').description('inspect the configuration the environment gives');
  config
    .command('check')
    .description('validate the environment as `sluice start` would, without starting; print the resolved settings (secrets hidden)')
    .option('--role <role>', 'the role the process would run (SLUICE_ROLE otherwise)')
    .action((o: { role?: string }) => {
      try {
        const c = loadConfig(io.env, o.role ? { SLUICE_ROLE: o.role } : {});
        io.out(`${JSON.stringify(configSummary(c), null, 2)}\n`);
        io.err(`sluice: configuration valid for role ${c.role}\n`);
        io.exit(0);
      } catch (err) {
        if (!isSluiceError(err)) throw err;
        io.err(`sluice: ${err.message}\n`);
        io.exit(2);
      }
    });
  return config;
}
