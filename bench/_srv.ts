import { spawn } from 'node:child_process';
const child = spawn(process.execPath, ['--import', 'tsx', 'bench/web.bench.ts', '--serve', '/tmp/tradelog-bench-web-bars'], { stdio: ['ignore', process.env.PIPE ? 'pipe' : 'inherit', 'inherit', 'ipc'] });
child.stdout?.on('data', (d) => process.stdout.write(d));
setTimeout(() => { child.kill('SIGTERM'); process.exit(0); }, 60000);
