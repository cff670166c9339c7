package io.podvault.job;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.MessageCodec;

/**
 * The event-bus codec for the chunks of a download stream. Vert.x's own codec copies a buffer on every
 * local delivery; a chunk is handed over by {@link StreamSender}, which never touches it again, so the
 * receiver may take the same bytes. Across a cluster it is length-prefixed like any buffer.
 */
public final class ChunkCodec implements MessageCodec<Buffer, Buffer> {

  public static final String NAME = "podvault.chunk";

  /** Registers the codec once per event bus; later calls (more verticles on the same Vert.x) find it there. */
  public static synchronized void registerOn(EventBus bus) {
    try {
      bus.registerCodec(new ChunkCodec());
    } catch (IllegalStateException alreadyRegistered) {
      // one codec serves every stream
    }
  }

  @Override
  public void encodeToWire(Buffer wire, Buffer chunk) {
    wire.appendInt(chunk.length()).appendBuffer(chunk);
  }

  @Override
  public Buffer decodeFromWire(int position, Buffer wire) {
    int length = wire.getInt(position);
    return wire.getBuffer(position + 4, position + 4 + length);
  }

  @Override
  public Buffer transform(Buffer chunk) {
    return chunk;
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public byte systemCodecID() {
    return -1;
  }
}
