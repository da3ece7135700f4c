/// <reference types="vitest/config" />
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// The build lands in ../static/app/, which Django serves under /static/app/ and whose
// index.html it answers for every client-side route (algobacktester/views.py).
export default defineConfig({
  base: "/static/app/",
  plugins: [react()],
  build: {
    outDir: "../static/app",
    emptyOutDir: true,
    manifest: true,
    chunkSizeWarningLimit: 600,
    rollupOptions: {
      output: {
        // Named chunks for the two big libraries, loaded only by the pages that draw.
        codeSplitting: {
          // React goes to its own chunk first: a group otherwise takes the modules its
          // library depends on, and the entry would then preload React Flow to get React.
          groups: [
            {
              name: "react",
              test: /node_modules[\\/](react|react-dom|scheduler)[\\/]/,
              priority: 30,
            },
            { name: "charts", test: /node_modules[\\/]lightweight-charts/, priority: 20 },
            { name: "flow", test: /node_modules[\\/]@xyflow/, priority: 20 },
          ],
        },
      },
    },
  },
  server: {
    // `npm run dev`: the API and /ws/ from `make run` on :8000.
    proxy: {
      "/api": "http://127.0.0.1:8000",
      "/ws": { target: "ws://127.0.0.1:8000", ws: true },
    },
  },
  test: {
    environment: "jsdom",
    setupFiles: ["./src/testing/setup.ts"],
    include: ["src/**/*.test.{ts,tsx}"],
  },
});
