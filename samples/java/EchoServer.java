// An echo server listening inside a netnsfs mount's namespace, with java.nio's FileChannel: each
// open of MOUNT/tcp/listen/PORT waits for and accepts one client, whose bytes go back until it
// closes (or half-closes).
//
//   javac -d out EchoServer.java && java -cp out EchoServer MOUNT PORT [COUNT]
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

public final class EchoServer {
    public static void main(String[] args) throws IOException {
        if (args.length != 2 && args.length != 3) {
            System.err.println("usage: java EchoServer MOUNT PORT [COUNT]   (COUNT clients, then exit; default: forever)");
            System.exit(2);
        }
        Path listen = Path.of(args[0], "tcp", "listen", args[1]);
        int count = args.length == 3 ? Integer.parseInt(args[2]) : 0;
        ByteBuffer buf = ByteBuffer.allocateDirect(65536);
        for (int served = 0; count == 0 || served < count; served++) {
            // READ+WRITE is O_RDWR; the open returns once a client is accepted.
            try (FileChannel client = FileChannel.open(listen, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                // Channel read/write without a position are read(2)/write(2): no seek on a socket.
                while (client.read(buf.clear()) > 0) {
                    buf.flip();
                    while (buf.hasRemaining())
                        client.write(buf);
                }
            }
        }
    }
}
