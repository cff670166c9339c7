package io.podvault.db;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import javax.net.SocketFactory;

/**
 * Sockets that read the server's stream through a large buffer, for the backup's connection (named in
 * pgjdbc's {@code socketFactory} property). pgjdbc reads its socket 8 KiB at a time; a COPY of hundreds of
 * megabytes would cost a system call per 8 KiB. With this buffer each call takes whatever the kernel holds,
 * up to {@value #READ_BYTES} bytes.
 */
public final class LargeReadSockets extends SocketFactory {

  static final int READ_BYTES = 256 * 1024;

  @Override
  public Socket createSocket() {
    return new Socket() {
      private InputStream in;

      @Override
      public synchronized InputStream getInputStream() throws IOException {
        if (in == null) {
          in = new BufferedInputStream(super.getInputStream(), READ_BYTES);
        }
        return in;
      }
    };
  }

  @Override
  public Socket createSocket(String host, int port) throws IOException {
    return connected(new InetSocketAddress(host, port), null);
  }

  @Override
  public Socket createSocket(String host, int port, InetAddress localHost, int localPort) throws IOException {
    return connected(new InetSocketAddress(host, port), new InetSocketAddress(localHost, localPort));
  }

  @Override
  public Socket createSocket(InetAddress host, int port) throws IOException {
    return connected(new InetSocketAddress(host, port), null);
  }

  @Override
  public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort) throws IOException {
    return connected(new InetSocketAddress(address, port), new InetSocketAddress(localAddress, localPort));
  }

  /** A connected socket of this factory, bound first to {@code local} when one is given. */
  private Socket connected(InetSocketAddress address, InetSocketAddress local) throws IOException {
    Socket socket = createSocket();
    if (local != null) {
      socket.bind(local);
    }
    socket.connect(address);
    return socket;
  }
}
