import { main } from './program.js';

const exitCode = await main(process.argv);
// `serve` keeps running through its listener; every other command ends here.
process.exitCode = exitCode;
