import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { zipSync } from 'fflate';

/** Hand-written Rasa, Dialogflow ES, Lex V2 and Rasa tracker files (see the README's format table). */
export const fixtures = path.resolve(import.meta.dirname, 'fixtures/interop');

/** Every file under a folder, zipped the way the platforms ship exports (optionally under a top folder). */
export function zipFolder(dir: string, prefix = ''): Uint8Array {
  const tree: Record<string, Uint8Array> = {};
  const visit = (d: string) => {
    for (const name of readdirSync(d)) {
      const full = path.join(d, name);
      if (statSync(full).isDirectory()) visit(full);
      else tree[prefix + path.relative(dir, full).split(path.sep).join('/')] = readFileSync(full);
    }
  };
  visit(dir);
  return zipSync(tree);
}
