/**
 * Test fixtures shared by berth's modules, used in test scope only: {@link RawHttp} (the one
 * hand-written HTTP/1.1 client, for framing cases no real client can send), {@link FakeDockerd} (a
 * scriptable stand-in for dockerd on a unix socket), {@link FakeCallers} (who calls, for tests
 * without real users) and {@link EmptyObjects} (a daemon holding no objects, for the engine's
 * lookups). Depends on berth-policy's interfaces only; nothing here may reach a runtime classpath.
 */
@NullMarked
package dev.berth.testing;

import org.jspecify.annotations.NullMarked;
