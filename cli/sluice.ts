/**
 * The `sluice` command line: one file per command in this folder. The CLI sits on top of every
 * room (it may import any of them) and nothing imports it; `bin/sluice.mjs` runs this file.
 */
import { Command } from 'commander';
import { buildInfo } from '../app/build-info.js';
import { benchCommand } from './bench.js';
import { collectCommand } from './collect.js';
import { configCommand } from './config.js';
import { dashboardsCommand } from './dashboards.js';
import { planCommand } from './plan.js';
import { replayCommand } from './replay.js';
import { demoCommand, startCommand } from './start.js';
import { trafficCommand } from './traffic.js';

/** The `sluice` command line. */
export function cli(): Command {
  const program = new Command('sluice')
    .description('Stream-processing telemetry and flow-control engine for call centers')
    .showHelpAfterError()
    .version(
      `sluice ${buildInfo().version} (commit ${buildInfo().commit}, node ${buildInfo().node})`,
      '-V, --version',
      'print the version and exit',
    );
  // start and demo were the program's own subcommands: they keep its settings (help after an error).
  program.addCommand(startCommand().copyInheritedSettings(program));
  program.addCommand(demoCommand().copyInheritedSettings(program));
  program.addCommand(replayCommand());
  program.addCommand(collectCommand());
  program.addCommand(planCommand());
  program.addCommand(trafficCommand());
  program.addCommand(benchCommand());
  program.addCommand(dashboardsCommand());
  program.addCommand(configCommand());
  return program;
}

await cli().parseAsync(process.argv);
