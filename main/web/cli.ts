/**
 * Browser mode: `npm run start:web`, or `npm start` where the Electron binary is missing.
 * Serves the built renderer and the backend on 127.0.0.1 with a per-launch token.
 */
import { parseArgs } from 'node:util';
import { createBackend } from '../app/composition';
import { appLayout } from '../app/appLayout';
import { WebServer } from './webServer';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '0' },
      home: { type: 'string' },
      'no-demo': { type: 'boolean', default: false },
    },
  });
  const layout = appLayout(import.meta.url);
  const backend = createBackend({ appHome: values.home, resourcesDir: layout.resourcesDir, transport: 'web' });
  if (!values['no-demo']) await backend.start();
  const server = new WebServer(backend, { rendererDir: layout.rendererDir, port: Number(values.port) });
  const url = await server.start();
  // Tests and scripts read this exact line to find the server.
  console.log(`Sim2Real Studio (browser mode) at ${url}`);
  const stop = async () => {
    await server.dispose();
    backend.dispose();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((err) => {
  console.error(`Sim2Real Studio could not start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
