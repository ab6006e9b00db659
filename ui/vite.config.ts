import { defineConfig } from "vite";
import { svelte } from "@sveltejs/vite-plugin-svelte";

// The app loads the built files from disk (tauri://localhost): no dev server is
// needed to run it, and `npm run build` is all `cargo build` of the shell waits for.
export default defineConfig({
  plugins: [svelte()],
  clearScreen: false,
  build: {
    target: "safari16",
    chunkSizeWarningLimit: 2000,
  },
});
