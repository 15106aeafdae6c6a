export * from './close-codes.js';
export * from './entities.js';
export * from './error-codes.js';
export * from './frames.js';
export * from './ids.js';
export * from './version.js';
