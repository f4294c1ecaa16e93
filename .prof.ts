import { spawn } from 'node:child_process';
import { flood } from './bench/isolation/flood.js';
const port = 47812;
const env = { ...process.env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', CHDB_PATH: '/tmp/repro/chdbp' + Date.now(), SLUICE_TENANTS: 'a,b', SLUICE_API_KEYS: 'aaaa-admin-key-0001:a:admin,aaaa-router-key-001:a:router,aaaa-viewer-key-001:a:viewer' };
const child = spawn(process.execPath, ['--cpu-prof', '--cpu-prof-dir=/tmp/prof', 'bin/sluice.mjs', 'start'], { env, stdio: ['ignore', 'inherit', 'inherit'] });
for (;;) { try { if ((await fetch(`http://127.0.0.1:${port}/healthz`, { headers: { authorization: 'Bearer aaaa-admin-key-0001' } })).ok) break; } catch {} await new Promise((r) => setTimeout(r, 250)); }
const ab = new AbortController();
const f = flood({ url: `http://127.0.0.1:${port}`, tenant: 'a', routerKey: 'aaaa-router-key-001', adminKey: 'aaaa-admin-key-0001', viewerKey: 'aaaa-viewer-key-001', routeLoops: Number(process.env.RL ?? 32), eventLoops: Number(process.env.EL ?? 2), sockets: Number(process.env.SO ?? 200) }, ab.signal);
await new Promise((r) => setTimeout(r, 15_000));
ab.abort(); console.log('flood', JSON.stringify(await f));
child.kill('SIGTERM');
await new Promise((r) => child.on('exit', r));
