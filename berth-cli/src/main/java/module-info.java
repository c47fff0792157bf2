/**
 * The berth command line, the only module that wires the others (see {@code dev.berth.cli}).
 * picocli reads the commands' annotated fields, so their package is open to it; slf4j-api
 * instantiates the journald logging provider that {@code slf4j.provider} names.
 */
module dev.berth.cli {
  requires static org.jspecify;
  requires dev.berth.proxy;
  requires dev.berth.plugin;
  requires dev.berth.nss;
  requires dev.berth.pki;
  requires info.picocli;
  requires com.fasterxml.jackson.databind;
  requires io.netty.buffer;
  requires io.netty.codec;
  requires io.netty.codec.http;
  requires io.netty.common;
  requires io.netty.handler;
  requires io.netty.transport;
  requires io.netty.transport.classes.epoll;
  requires io.netty.transport.unix.common;
  requires java.net.http;
  requires java.security.jgss;
  requires jdk.unsupported;
  requires org.slf4j;

  exports dev.berth.cli;
  exports dev.berth.cli.systemd to
      org.slf4j;

  opens dev.berth.cli to
      info.picocli;
}
