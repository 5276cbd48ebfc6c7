import type { Command } from 'commander';
import { ConflictError } from '../../core/errors.js';
import type { RunView } from '../../experiments/runs.js';
import { output, withLab } from '../output.js';
import { progressBar } from './datasets.js';
import { failIfNotSucceeded, watchProgress } from './training.js';

/** `chatlab examples load`: a thin door into src/examples. */
export function registerExamples(program: Command): void {
  const examples = program
    .command('examples')
    .description('the example workspace shipped with the lab (BANKING77 and 100 Schema-Guided Dialogue conversations)');

  examples
    .command('load')
    .description(
      'ingest the example datasets and train a tfidf-linear model on BANKING77 (aliased production when none is); ' +
        'loading again changes nothing',
    )
    .option('--json', 'print JSON')
    .action(async (o) => {
      const { ingestExamples, exampleModel, exampleTrainRequest } = await import('../../examples/workspace.js');
      const { prepareRun, executeRun } = await import('../../training/pipeline.js');
      const result = await withLab(async (lab) => {
        const bar = await progressBar();
        let datasets;
        try {
          datasets = await ingestExamples(lab, (_name, p) => bar.update(p));
        } finally {
          bar.stop();
        }
        const model = await exampleModel(lab, datasets.banking77.id);
        if (model.state === 'training') {
          throw new ConflictError(
            `the example model is being trained by run ${model.runId}; see chatlab runs show ${model.runId}`,
          );
        }
        let version: number | null = model.state === 'trained' ? model.version : null;
        let run: RunView | null = null;
        let alias: string | undefined;
        if (version === null) {
          const request = await exampleTrainRequest(lab, datasets.banking77.id);
          alias = request.alias;
          const prepared = await prepareRun(lab, request);
          const stop = await watchProgress(prepared.runId);
          try {
            run = await executeRun(lab, prepared);
          } finally {
            stop();
          }
          failIfNotSucceeded(run);
          version = run.model_version;
        }
        return {
          datasets,
          model_version: version,
          trained: run !== null,
          alias: alias ?? null,
          run_id: run?.id ?? null,
        };
      });
      output(result, o, (r) =>
        [
          `Example datasets: ${r.datasets.banking77.name} (id ${r.datasets.banking77.id}, ${r.datasets.banking77.example_count} examples), ` +
            `${r.datasets.sgd.name} (id ${r.datasets.sgd.id}, ${r.datasets.sgd.conversation_count} conversations)` +
            (r.datasets.created ? '' : ' — already loaded'),
          r.trained
            ? `Trained model version ${r.model_version} (run ${r.run_id}), alias ${r.alias}`
            : `Model version ${r.model_version} already trained on the example data; nothing to do`,
          'Next: chatlab predict "I still have not received my new card"   or   chatlab serve',
        ].join('\n'),
      );
    });
}
