/** The filtering proxy (see {@code dev.berth.proxy}). Exports its one API package. */
module dev.berth.proxy {
  requires static org.jspecify;
  requires transitive dev.berth.enforce;
  requires dev.berth.buildkit;
  requires java.naming;
  requires io.netty.buffer;
  requires io.netty.codec;
  requires io.netty.codec.compression;
  requires io.netty.codec.http;
  requires io.netty.common;
  requires io.netty.handler;
  requires io.netty.transport;
  requires io.netty.transport.classes.epoll;
  requires io.netty.transport.unix.common;
  requires org.slf4j;

  exports dev.berth.proxy;
}
