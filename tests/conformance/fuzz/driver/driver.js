#!/usr/bin/env node
'use strict'
/*
 * The differential fuzz's oracle: one long-running process that answers NDJSON cases with Segment's own
 * code, one answer line per case line, in order.
 *
 *   {"id": 7, "fql": "...", "event": {...}}          -> {"id": 7, "parse_error": "..."}
 *                                                       | {"id": 7, "throws": "..."} | {"id": 7, "matches": true}
 *   {"id": 8, "mapping": {...}, "event": {...}}      -> {"id": 8, "json": "<JSON.stringify(result)>"}
 *                                                       | {"id": 8, "undefined": true} | {"id": 8, "error": "..."}
 *   {"id": 9, "roundtrip": <value>}                  -> {"id": 9, "json": "<JSON.stringify(value)>"}
 *
 * FQL: `parseFql` + `validate` from @segment/destination-subscriptions, as Segment's runtime calls them.
 * Mappings: `transform` from @segment/actions-core (mapping-kit, LiquidJS as Segment configures it).
 * The mapped value goes back as JSON.stringify's text, so the comparison sees JavaScript's key order,
 * number spelling and lone-surrogate escapes; `roundtrip` puts our own value through the same JSON.parse and
 * JSON.stringify, so both sides are compared as JavaScript would print them.
 */
const readline = require('readline')
const { transform } = require('@segment/actions-core')
const { parseFql, validate } = require('@segment/destination-subscriptions')

function message(e) {
  return String(e && e.message !== undefined ? e.message : e).split('\n')[0]
}

function answer(c) {
  if (c.roundtrip !== undefined) return { id: c.id, json: JSON.stringify(c.roundtrip) }
  if (c.fql !== undefined) {
    const ast = parseFql(c.fql)
    if (ast.error) return { id: c.id, parse_error: message(ast.error) }
    try {
      return { id: c.id, matches: validate(ast, c.event) === true }
    } catch (e) {
      return { id: c.id, throws: message(e) }
    }
  }
  try {
    const value = transform(c.mapping, c.event)
    return value === undefined ? { id: c.id, undefined: true } : { id: c.id, json: JSON.stringify(value) }
  } catch (e) {
    return { id: c.id, error: message(e), name: e && e.name }
  }
}

const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity })
lines.on('line', (line) => {
  if (!line.trim()) return
  let reply
  try {
    reply = answer(JSON.parse(line))
  } catch (e) {
    reply = { id: null, driver_error: message(e) }
  }
  process.stdout.write(JSON.stringify(reply) + '\n')
})
