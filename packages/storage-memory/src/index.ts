export {
  MemoryActivityStorage,
  MemoryMarkerStorage,
  MemoryStorage,
  MemoryTimelineStorage,
  memoryCapabilities,
  memoryStorage,
} from './memory-storage.js';
export { MemoryActivityClock } from './memory-activity-clock.js';
export type { MemoryStorageOptions } from './memory-storage.js';
