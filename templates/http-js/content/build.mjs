// Bundles src/index.js and the npm packages it imports into one ES module, build/bundle.js;
// `npm run build` then turns it into a Wasm component with j2w (componentize-js, StarlingMonkey).
// Imports of Spin / WASI interfaces (`fermyon:spin/...`, `wasi:...`) stay external: j2w binds
// them to the host.
import { mkdir } from 'node:fs/promises';
import { build } from 'esbuild';
import { SpinEsbuildPlugin } from '@spinframework/build-tools/plugins/esbuild/index.js';

await mkdir('dist', { recursive: true });
await build({
  entryPoints: ['./src/index.js'],
  outfile: './build/bundle.js',
  bundle: true,
  format: 'esm',
  platform: 'browser',
  minify: false,
  logLevel: 'error',
  plugins: [await SpinEsbuildPlugin()],
});
