import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/**
 * The dashboard: web/ is the Vite root, built into dist/web, which the API serves at `/`.
 */
export default defineConfig({
  root: 'web',
  base: '/',
  plugins: [react()],
  build: {
    outDir: '../dist/web',
    emptyOutDir: true,
    // ECharts is tree-shaken but still the largest dependency; keep it in its own cacheable chunk.
    rollupOptions: { output: { manualChunks: { echarts: ['echarts/core', 'echarts/charts', 'echarts/components'] } } },
    chunkSizeWarningLimit: 900,
  },
});
