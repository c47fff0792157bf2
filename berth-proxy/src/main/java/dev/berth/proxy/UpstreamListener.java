package dev.berth.proxy;

/** What an upstream connection reports to the client connection it currently serves. */
interface UpstreamListener {
  void onUpstreamRead(Object msg);

  void onUpstreamReadComplete();

  void onUpstreamInputShutdown();

  /** The connection's buffer went over its high water mark or back under the low one. */
  void onUpstreamWritabilityChanged();

  void onUpstreamClosed();
}
