import { defineConfig } from 'vite';

// Everything is bundled: no CDN, no remote fonts, no map tiles.
export default defineConfig({
  clearScreen: false,
  server: { port: 5173, strictPort: true },
  build: { outDir: 'dist', emptyOutDir: true, target: 'safari15', sourcemap: false },
  test: { include: ['src/**/*.test.ts'] },
});
