import { checkDashboards } from './cli/dashboards-check.js';
const t0 = Date.now();
const r = await checkDashboards((l) => console.error(l));
for (const p of r.problems) console.log('✗', p);
console.log(JSON.stringify(r.counted), r.run, `${(Date.now() - t0) / 1000}s`);
process.exit(0);
