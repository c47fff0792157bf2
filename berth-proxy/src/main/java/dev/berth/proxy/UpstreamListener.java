package dev.berth.proxy;

/** What an upstream connection reports to the client connection it currently serves. */
interface UpstreamListener {
  void onUpstreamRead(Object msg);

  void onUpstreamReadComplete();

  void onUpstreamInputShutdown();

  void onUpstreamClosed();
}
