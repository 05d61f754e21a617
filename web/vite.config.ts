/// <reference types="vitest/config" />
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// The API process serves web/dist at "/"; `npm run dev` proxies the API to a running `theo run`.
const apiTarget = process.env.THEO_API_URL ?? "http://127.0.0.1:8000";

export default defineConfig({
  base: "/",
  plugins: [react()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    chunkSizeWarningLimit: 700,
    rollupOptions: {
      output: {
        manualChunks: { charts: ["lightweight-charts"], react: ["react", "react-dom", "react-dom/client"] },
      },
    },
  },
  server: {
    proxy: { "/api": { target: apiTarget, ws: true } },
  },
  test: {
    environment: "node",
    include: ["src/**/*.test.ts"],
  },
});
