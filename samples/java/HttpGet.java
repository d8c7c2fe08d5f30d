// An HTTP GET through a netnsfs mount with plain java.io: opening MOUNT/tcp/HOST/PORT is a
// connect(2) made inside the mount's network namespace, and the file reads and writes it.
//
//   javac -d out HttpGet.java && java -cp out HttpGet MOUNT HOST PORT [PATH]
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

public final class HttpGet {
    public static void main(String[] args) throws IOException {
        if (args.length != 3 && args.length != 4) {
            System.err.println("usage: java HttpGet MOUNT HOST PORT [PATH]");
            System.exit(2);
        }
        String host = args[1];
        String path = args.length == 4 ? args[3] : "/";
        // "rw" opens O_RDWR (a socket file is read and written); one fd, two streams on it.
        try (RandomAccessFile conn = new RandomAccessFile(Path.of(args[0], "tcp", host, args[2]).toFile(), "rw")) {
            OutputStream out = new FileOutputStream(conn.getFD());
            InputStream in = new FileInputStream(conn.getFD());
            String request = "GET " + path + " HTTP/1.0\r\nHost: " + host + "\r\nConnection: close\r\n\r\n";
            out.write(request.getBytes(StandardCharsets.US_ASCII)); // one write = one send
            // read = recv: short reads as the socket gives them, -1 once the server closes.
            in.transferTo(System.out);
            System.out.flush();
        }
    }
}
