#!/usr/bin/env node
// Checked in rather than pointing the bin into dist/: package managers link bins at install
// time, before a workspace is built, and warn about a missing target. The CLI is built code.
import '../dist/cli.mjs';
