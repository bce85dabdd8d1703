// Bundles src/index.ts and the npm packages it imports into one ES module, build/bundle.js
// (esbuild strips the types; `npm run build` checks them first with `tsc --noEmit`), which
// `npm run build` then turns into a Wasm component with j2w (componentize-js, StarlingMonkey).
// Imports of Spin / WASI interfaces (`fermyon:spin/...`, `wasi:...`) stay external: j2w binds
// them to the host.
import { mkdir } from 'node:fs/promises';
import { build } from 'esbuild';
import { SpinEsbuildPlugin } from '@spinframework/build-tools/plugins/esbuild/index.js';

await mkdir('dist', { recursive: true });
await build({
  entryPoints: ['./src/index.ts'],
  outfile: './build/bundle.js',
  bundle: true,
  format: 'esm',
  platform: 'browser',
  minify: false,
  logLevel: 'error',
  resolveExtensions: ['.ts', '.js'],
  plugins: [await SpinEsbuildPlugin()],
});
