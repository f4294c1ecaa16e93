/**
 * One engine instance of `npm run bench:workflow`, in a process of its own: reads its
 * settings from argv (JSON), runs {@link runInstance} and sends the result to the parent.
 */
import { runInstance, type InstanceSettings } from './ops.js';

const settings = JSON.parse(process.argv[2] ?? '{}') as InstanceSettings;
runInstance(settings).then(
  (result) => process.send?.(result, () => process.exit(0)),
  (err: unknown) => {
    console.error(`[bench:workflow] engine instance ${settings.instance} failed:`, err);
    process.exit(1);
  },
);
