import { defineConfig } from "vite";

// The console is served by sluice at /console/ on the admin listener; the
// build goes to dist/, which is committed and embedded into the binary
// (console/embed.cmake), so building sluice never needs Node.
const admin = process.env.SLUICE_ADMIN_URL ?? "http://127.0.0.1:9090";

export default defineConfig({
  base: "/console/",
  build: {
    outDir: "dist",
    emptyOutDir: true,
    assetsInlineLimit: 0,
    sourcemap: false,
    target: "es2020",
  },
  server: {
    // `npm run dev` against a gateway's admin listener: make run's, or $SLUICE_ADMIN_URL.
    proxy: { "/admin": admin, "/metrics": admin },
  },
});
