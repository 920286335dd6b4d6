#!/usr/bin/env bash
# Requests/s and latency of GET /healthz and GET /api/v1/products/{id} (wrk, 64 connections).
# Usage: bench/http.sh [database]   (default: a fresh SQLite file; or a postgres:// URL)
cd "$(dirname "$0")/.."
source bench/common.sh
product=$(api -X POST "$base/api/v1/products" -d '{"title":"Python 数据分析实战","price":39900}' | field id)
run "GET /healthz" "$base/healthz"
run "GET /api/v1/products/{id}" "$base/api/v1/products/$product"
