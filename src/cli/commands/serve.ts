import { InvalidArgumentError, type Command } from 'commander';
import { startServer } from '../../api/server.js';
import { settingsFromEnvironment } from '../output.js';

export function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new InvalidArgumentError('must be an integer between 0 and 65535');
  }
  return port;
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('start the API and dashboard (http://HOST:PORT/, docs at /docs)')
    .option('--host <host>', 'address to listen on (default: HOST setting, 127.0.0.1)')
    .option('--port <port>', 'port to listen on (default: PORT setting, 8000)', parsePort)
    .action(async (options: { host?: string; port?: number }) => {
      const settings = settingsFromEnvironment();
      await startServer({
        ...settings,
        host: options.host ?? settings.host,
        port: options.port ?? settings.port,
      });
    });
}
