import { integrationConfig } from '../../vitest.shared.js';

// A real UDP socket on 127.0.0.1 collects the metric lines.
export default integrationConfig();
