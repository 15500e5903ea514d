// The pipeline section's schema lives with the rest of the config (lib/config/pipeline.ts): the config's checks need
// it, and lib/config depends on no feature folder.
export * from '../config/pipeline.js';
