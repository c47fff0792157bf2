/**
 * berth as dockerd's authorization plugin (see {@code dev.berth.plugin}). Its AuthZ messages are
 * read and written by Jackson's data binding, which needs the package open.
 */
module dev.berth.plugin {
  requires static org.jspecify;
  requires transitive dev.berth.enforce;
  requires com.fasterxml.jackson.databind;
  requires io.netty.buffer;
  requires io.netty.codec;
  requires io.netty.codec.http;
  requires io.netty.common;
  requires io.netty.transport;
  requires io.netty.transport.classes.epoll;
  requires io.netty.transport.unix.common;
  requires org.slf4j;

  exports dev.berth.plugin;

  opens dev.berth.plugin to
      com.fasterxml.jackson.databind;
}
