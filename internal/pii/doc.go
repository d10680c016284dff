// Package pii protects applicants' personal data (ID number, phone, address, name):
// encrypted at rest under a key id so keys can rotate, a keyed hash so exact search works
// without storing the value, and sealing for one receiving hall so the operators of the
// message bus cannot read what passes through it.
//
// Keys come from the environment or from files, never from the database: a database dump
// or backup must not be enough to read the data it holds. Errors of this package never
// contain key material or plaintext, so they are safe to log.
package pii
