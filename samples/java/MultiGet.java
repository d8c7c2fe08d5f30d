// One JVM, several network namespaces at once: an HTTP GET to the same HOST:PORT through each
// mount given, all connections open together, each reaching only its own namespace's server.
//
//   javac -d out MultiGet.java && java -cp out MultiGet HOST PORT PATH MOUNT...
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

public final class MultiGet {
    public static void main(String[] args) throws IOException {
        if (args.length < 4) {
            System.err.println("usage: java MultiGet HOST PORT PATH MOUNT...");
            System.exit(2);
        }
        String host = args[0];
        String request = "GET " + args[2] + " HTTP/1.0\r\nHost: " + host + "\r\nConnection: close\r\n\r\n";
        List<RandomAccessFile> conns = new ArrayList<>();
        try {
            // Dial them all first: this process holds a socket in every namespace at once,
            // without entering any (no setns, no privileges beyond the files' modes).
            for (int i = 3; i < args.length; i++) {
                RandomAccessFile conn = new RandomAccessFile(Path.of(args[i], "tcp", host, args[1]).toFile(), "rw");
                conns.add(conn);
                conn.write(request.getBytes(StandardCharsets.US_ASCII));
            }
            for (int i = 0; i < conns.size(); i++) {
                System.out.println("== " + args[i + 3]);
                byte[] buf = new byte[65536];
                int n;
                while ((n = conns.get(i).read(buf)) > 0)
                    System.out.write(buf, 0, n);
                System.out.println();
            }
            System.out.flush();
        } finally {
            for (RandomAccessFile conn : conns)
                conn.close();
        }
    }
}
