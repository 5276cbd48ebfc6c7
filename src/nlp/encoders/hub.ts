/**
 * Fetching a hub model into MODEL_CACHE_DIR, only ever called when MODEL_DOWNLOADS=allow. The files
 * go to a temporary folder that is renamed into place once all required files are there, so an
 * interrupted download never leaves a folder that looks complete.
 */
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const REQUIRED = ['config.json', 'tokenizer.json'];
const OPTIONAL = ['tokenizer_config.json', 'modules.json', '1_Pooling/config.json', 'sentence_bert_config.json'];
const MODELS = ['onnx/model.onnx', 'model.onnx'];

async function fetchFile(id: string, revision: string, file: string): Promise<Buffer | null> {
  const url = `https://huggingface.co/${id}/resolve/${encodeURIComponent(revision)}/${file}`;
  const res = await fetch(url);
  if (res.status === 404) return null;
  if (!res.ok) throw new Error(`downloading ${url}: HTTP ${res.status}`);
  return Buffer.from(await res.arrayBuffer());
}

export async function downloadHubModel(id: string, revision: string | null, target: string): Promise<void> {
  const tmp = `${target}.partial-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  try {
    const save = (file: string, data: Buffer) => {
      mkdirSync(path.dirname(path.join(tmp, file)), { recursive: true });
      writeFileSync(path.join(tmp, file), data);
    };
    for (const file of [...REQUIRED, ...OPTIONAL]) {
      const data = await fetchFile(id, revision ?? 'main', file);
      if (data) save(file, data);
      else if (REQUIRED.includes(file)) throw new Error(`${id} has no ${file} on the hub`);
    }
    let found = false;
    for (const file of MODELS) {
      const data = await fetchFile(id, revision ?? 'main', file);
      if (data) {
        save(file, data);
        found = true;
        break;
      }
    }
    if (!found)
      throw new Error(`${id} has no ONNX export on the hub (${MODELS.join(' or ')}); export one with Optimum`);
    mkdirSync(path.dirname(target), { recursive: true });
    renameSync(tmp, target);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
