#!/usr/bin/env node
// The built CLI lives in dist/ (npm install runs `prepare`, which builds it).
import '../dist/cli/main.js';
