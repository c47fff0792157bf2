/** berth's own requests to the Docker daemon: object lookups for ownership, and the owner store. */
module dev.berth.daemon {
  requires static org.jspecify;
  requires transitive dev.berth.policy;
  requires io.netty.buffer;
  requires io.netty.common;
  requires io.netty.codec.http;
  requires io.netty.handler;
  requires io.netty.transport;
  requires io.netty.transport.classes.epoll;
  requires io.netty.transport.unix.common;
  requires org.slf4j;

  exports dev.berth.daemon;
}
