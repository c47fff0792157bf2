package dev.berth.proxy;

import io.netty.channel.IoHandle;
import io.netty.channel.IoHandler;
import io.netty.channel.IoHandlerContext;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.IoOps;
import io.netty.channel.IoRegistration;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollIoOps;

/**
 * Netty's epoll I/O handler, with one fix: a socket stays registered with epoll while it lives.
 *
 * <p>Design note. In Netty 4.2.18, when a channel's interest set becomes empty, the registration
 * removes the fd from epoll ({@code EPOLL_CTL_DEL}) but remembers it as added; the next interest
 * ({@code EPOLLOUT} when a write would block) is then sent as {@code EPOLL_CTL_MOD}, which fails
 * with {@code ENOENT}, and Netty drops every queued write. berth hits this on every hijacked
 * stream: the docker CLI half-closes its side right after attach or exec start (no more stdin), so
 * the client channel stops reading and its interest set empties; the first time the reader is
 * slower than the container, the rest of the output was silently lost while docker exited 0.
 * Registering an empty interest set as {@code EPOLLET} alone keeps the fd in epoll with no events
 * of interest (edge-triggered, so a hang-up is reported at most once) and every later change is a
 * valid {@code EPOLL_CTL_MOD}. Remove this class when the Netty version berth can use fixes the
 * registration.
 */
final class StickyEpollIoHandler implements IoHandler {
  private final IoHandler delegate;

  private StickyEpollIoHandler(IoHandler delegate) {
    this.delegate = delegate;
  }

  /** A factory of epoll handlers with the fix. */
  static IoHandlerFactory newFactory() {
    IoHandlerFactory epoll = EpollIoHandler.newFactory();
    return executor -> new StickyEpollIoHandler(epoll.newHandler(executor));
  }

  @Override
  public void initialize() {
    delegate.initialize();
  }

  @Override
  public int run(IoHandlerContext context) {
    return delegate.run(context);
  }

  @Override
  public void prepareToDestroy() {
    delegate.prepareToDestroy();
  }

  @Override
  public void destroy() {
    delegate.destroy();
  }

  @Override
  public IoRegistration register(IoHandle handle) throws Exception {
    return new StickyRegistration(delegate.register(handle));
  }

  @Override
  public void wakeup() {
    delegate.wakeup();
  }

  @Override
  public boolean isCompatible(Class<? extends IoHandle> handleType) {
    return delegate.isCompatible(handleType);
  }

  /** Sends an empty interest set as {@code EPOLLET} instead, so the fd is never deleted. */
  private record StickyRegistration(IoRegistration delegate) implements IoRegistration {
    @Override
    public <T> T attachment() {
      return delegate.attachment();
    }

    @Override
    public long submit(IoOps ops) {
      if (ops instanceof EpollIoOps epoll && epoll.value() == 0) {
        return delegate.submit(EpollIoOps.EPOLLET);
      }
      return delegate.submit(ops);
    }

    @Override
    public boolean isValid() {
      return delegate.isValid();
    }

    @Override
    public boolean cancel() {
      return delegate.cancel();
    }
  }
}
