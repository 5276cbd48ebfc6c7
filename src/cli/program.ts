import { createRequire } from 'node:module';
import { Command, CommanderError } from 'commander';
import { SettingsError } from '../config/settings.js';
import { AppError } from '../core/errors.js';
import { commandRegistrations } from './commands/index.js';

const pkg = createRequire(import.meta.url)('../../package.json') as { version: string };

export function buildProgram(): Command {
  const program = new Command('chatlab')
    .description('Chatbot Analytics Lab: datasets, intent classifiers, experiments, conversation analytics')
    .version(pkg.version, '-v, --version')
    .showSuggestionAfterError(true)
    // Program options (-v/--version) only before a command, so a command may have its own --version.
    .enablePositionalOptions()
    .exitOverride();
  for (const register of commandRegistrations) register(program);
  for (const command of program.commands) command.exitOverride();
  return program;
}

/** Exit codes: 0 ok, 1 a command failed, 2 bad settings or usage. */
export async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // commander has already printed its one-line message (or the help/version text).
      return err.exitCode === 0 ? 0 : 2;
    }
    if (err instanceof SettingsError) {
      process.stderr.write(`chatlab: ${err.message}\n`);
      return 2;
    }
    const message = err instanceof AppError || err instanceof Error ? err.message : String(err);
    process.stderr.write(`chatlab: ${message.split('\n')[0]}\n`);
    return 1;
  }
}
