"""Reports as citizens write them, for the demo and scale seeds (#16 item 7).

The routing model's accuracy (manage.py routing_accuracy) means something only if the seeds' text is
like real reports: it never names the sub-category, neighbouring categories share their words
(a levy at a school, at the civil registry and an illegal levy; a flooded drain and a flood), the
phrasing varies, people write informally and with typos, name their regency and district, and some
reports are vague or describe another category's problem than the one the verifier routed them to.

`story(rng, code, regency=..., district=...)` returns (title, body) for a sub-category `code`, using
only `rng` (deterministic for a seed) and a handful of choices per report (cheap enough for
seed_scale's two million rows).
"""

from __future__ import annotations

# Per sub-category: (what the report is about, what is wrong with it, details a citizen adds).
# Many words are shared with the neighbours on purpose.
TEXT: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "kesehatan-bpjs": (
        ("kartu BPJS", "kartu KIS ibu saya", "iuran BPJS", "kepesertaan JKN"),
        ("tiba-tiba tidak aktif", "ditolak waktu berobat", "disuruh bayar obat sendiri", "tagihannya dobel"),
        ("Padahal iuran selalu dibayar tiap bulan.", "Kata petugas rumah sakit harus urus ke kantor cabang dulu."),
    ),
    "kesehatan-rumah-sakit": (
        ("IGD rumah sakit daerah", "pelayanan RSUD", "ruang rawat inap", "pendaftaran pasien RSUD"),
        ("penuh terus", "pasien dibiarkan menunggu berjam-jam", "dokternya tidak ada", "perawatnya kasar"),
        ("Pasien kecelakaan sampai ditaruh di lorong.", "Keluarga pasien disuruh cari kamar sendiri."),
    ),
    "kesehatan-puskesmas": (
        ("puskesmas", "antrean di puskesmas", "pustu desa kami", "layanan puskesmas"),
        (
            "antreannya mengular dari subuh",
            "dokternya jarang datang",
            "tutup sebelum jam pelayanan",
            "petugasnya judes",
        ),
        ("Pasien lansia antre berdiri karena kursi kurang.", "Loket pendaftaran cuma satu orang."),
    ),
    "kesehatan-obat": (
        ("obat di apotek puskesmas", "stok obat", "alat tensi dan oksigen", "obat pasien kronis"),
        ("sering kosong", "habis sejak bulan lalu", "disuruh beli di luar", "sudah kedaluwarsa"),
        ("Pasien diabetes harus beli insulin sendiri.", "Resep dokter tidak bisa ditebus."),
    ),
    "kesehatan-tenaga": (
        ("bidan desa", "dokter jaga", "perawat honorer", "tenaga kesehatan di pustu"),
        ("tidak pernah ada di tempat", "meminta uang tambahan", "bersikap tidak sopan", "belum digaji"),
        ("Ibu hamil terpaksa melahirkan dibantu dukun.", "Pasien malam hari tidak ada yang melayani."),
    ),
    "kesehatan-gizi": (
        ("balita di posyandu", "makanan tambahan balita", "program stunting", "anak-anak kurang gizi"),
        ("tidak dapat PMT", "bantuannya tidak sampai", "datanya tidak jelas", "tidak ada pendampingan"),
        ("Berat badan anak tetangga terus turun.", "Posyandu sudah tiga bulan tidak buka."),
    ),
    "pendidikan-ppdb": (
        ("pendaftaran sekolah anak", "jalur zonasi SMP", "PPDB online", "penerimaan siswa baru"),
        ("tidak transparan", "anak kami tidak diterima padahal dekat", "situsnya error terus", "diduga titipan"),
        ("Rumah kami hanya 300 meter dari sekolah.", "Pengumuman nilai tidak sesuai dengan data."),
    ),
    "pendidikan-bantuan": (
        ("dana PIP anak saya", "bantuan KIP", "dana BOS sekolah", "beasiswa siswa miskin"),
        ("tidak pernah cair", "dipotong pihak sekolah", "disimpan guru", "tidak jelas penggunaannya"),
        ("Buku tabungan siswa ditahan sekolah.", "Nama anak ada di daftar tapi uangnya tidak ada."),
    ),
    "pendidikan-pungutan": (
        ("uang seragam sekolah", "uang komite", "biaya perpisahan kelas", "pembelian buku LKS"),
        ("diwajibkan dibayar", "memberatkan orang tua", "tidak ada dasar aturannya", "harus lunas sebelum ujian"),
        ("Anak yang belum bayar tidak boleh ikut ujian.", "Kami diminta Rp750.000 per siswa."),
    ),
    "pendidikan-guru": (
        ("guru kelas", "guru honorer", "kepala sekolah", "wali kelas anak saya"),
        ("sering tidak masuk mengajar", "memukul murid", "belum terima gaji berbulan-bulan", "jualan di kelas"),
        ("Murid dibiarkan belajar sendiri.", "Orang tua murid sudah protes ke sekolah."),
    ),
    "pendidikan-sarana": (
        ("atap ruang kelas", "gedung sekolah", "toilet sekolah", "bangku dan meja kelas"),
        ("bocor kalau hujan", "hampir roboh", "rusak dan kotor", "tidak layak dipakai"),
        ("Murid belajar di lantai.", "Plafon kelas sudah jebol sebagian."),
    ),
    "infrastruktur-jalan": (
        ("jalan kabupaten", "aspal jalan desa", "jalan menuju pasar", "jalan poros kecamatan"),
        ("berlubang besar", "rusak parah", "tidak pernah diperbaiki", "hancur kena truk"),
        ("Sudah banyak motor jatuh di situ.", "Kalau hujan lubangnya tidak kelihatan."),
    ),
    "infrastruktur-jembatan": (
        ("jembatan gantung", "jembatan kayu", "jembatan penghubung desa", "oprit jembatan"),
        ("papan lantainya lapuk", "retak dan miring", "putus diterjang arus", "hampir ambruk"),
        ("Anak sekolah menyeberang setiap hari.", "Kendaraan roda empat tidak bisa lewat."),
    ),
    "infrastruktur-drainase": (
        ("selokan depan rumah", "saluran air", "gorong-gorong", "got di gang kami"),
        ("tersumbat sampah", "meluap kalau hujan", "tidak mengalir", "ambrol"),
        ("Air masuk ke rumah warga sampai mata kaki.", "Baunya menyengat dan banyak nyamuk."),
    ),
    "infrastruktur-air-bersih": (
        ("air PDAM", "air ledeng", "pipa air bersih", "sumur bor desa"),
        ("mati sudah seminggu", "keruh dan berbau", "mengalir cuma malam", "tagihannya naik tapi air tidak keluar"),
        ("Kami terpaksa beli air galon untuk masak.", "Pipa bocor di pinggir jalan tidak diperbaiki."),
    ),
    "infrastruktur-penerangan": (
        ("lampu jalan", "PJU di jalan utama", "lampu penerangan gang", "tiang lampu jalan"),
        ("mati berbulan-bulan", "gelap gulita malam hari", "tidak pernah dinyalakan", "roboh"),
        ("Sering terjadi begal karena gelap.", "Pengendara susah melihat lubang di malam hari."),
    ),
    "infrastruktur-bangunan": (
        ("gedung serbaguna", "pasar tradisional", "halte", "taman kota dan fasilitasnya"),
        ("terbengkalai", "atapnya bocor", "rusak tidak terawat", "dibangun asal-asalan"),
        ("Proyeknya baru selesai tahun lalu.", "Bangunan itu sekarang jadi tempat nongkrong."),
    ),
    "lingkungan-sampah": (
        ("sampah di TPS", "tumpukan sampah pinggir jalan", "truk sampah", "sampah pasar"),
        ("tidak diangkut berminggu-minggu", "bau busuk", "dibakar sembarangan", "menumpuk sampai ke jalan"),
        ("Lalat dan tikus di mana-mana.", "Iuran sampah tetap ditarik setiap bulan."),
    ),
    "lingkungan-pencemaran": (
        ("air sungai", "asap pabrik", "udara di kampung kami", "sumur warga"),
        ("tercemar dan berbau", "hitam dan berbusa", "bikin sesak napas", "ikan pada mati"),
        ("Anak-anak banyak yang batuk.", "Warga tidak bisa lagi mandi di sungai."),
    ),
    "lingkungan-hutan": (
        ("hutan lindung", "lahan gambut", "pohon di hutan adat", "kawasan hutan"),
        ("terbakar lagi", "ditebang liar", "dibuka untuk kebun", "asapnya sampai kampung"),
        ("Truk kayu lewat setiap malam.", "Kabut asap membuat sekolah diliburkan."),
    ),
    "lingkungan-limbah": (
        ("limbah pabrik", "limbah rumah sakit", "limbah B3", "oli bekas bengkel"),
        ("dibuang ke sungai", "ditimbun di lahan kosong", "mencemari sawah", "berbau kimia"),
        ("Airnya berubah warna setiap malam.", "Drum-drum limbah dibiarkan terbuka."),
    ),
    "lingkungan-rth": (
        ("pohon besar pinggir jalan", "taman kota", "ruang terbuka hijau", "pohon tua depan sekolah"),
        ("rawan tumbang", "ditebang tanpa izin", "dijadikan parkiran", "tidak terawat"),
        ("Dahan sudah patah menimpa motor.", "Anak-anak tidak punya tempat bermain."),
    ),
    "kependudukan-ktp": (
        ("KTP elektronik", "e-KTP saya", "perekaman KTP", "KTP anak saya"),
        ("belum jadi berbulan-bulan", "blangko habis terus", "salah cetak nama", "hilang di kantor"),
        ("Setiap ke dukcapil disuruh kembali minggu depan.", "Tidak bisa urus BPJS karena tidak punya KTP."),
    ),
    "kependudukan-kk": (
        ("kartu keluarga", "KK baru", "perubahan data KK", "cetak ulang KK"),
        ("tidak selesai-selesai", "datanya salah", "disuruh bolak-balik", "nama anak tidak masuk"),
        ("Berkas sudah lengkap diserahkan ke kelurahan.", "Antrean di dukcapil sampai sore."),
    ),
    "kependudukan-akta": (
        ("akta kelahiran anak", "akta kematian", "pengurusan akta", "akta lahir"),
        ("dimintai uang", "belum terbit", "salah tanggal lahir", "katanya harus lewat calo"),
        ("Padahal layanan ini gratis.", "Petugas minta uang pelicin supaya cepat."),
    ),
    "kependudukan-pindah": (
        ("surat pindah", "pindah domisili", "surat keterangan pindah datang", "mutasi penduduk"),
        ("ditolak", "prosesnya lama sekali", "data lama tidak terhapus", "dipersulit"),
        ("Kami sudah tinggal di sini dua tahun.", "Anak tidak bisa daftar sekolah karena alamat."),
    ),
    "kependudukan-data": (
        ("NIK saya", "data kependudukan", "NIK ganda", "data di dukcapil"),
        ("terpakai orang lain", "tercatat sudah meninggal", "tidak terbaca di sistem", "beda dengan KTP"),
        ("Tidak bisa daftar vaksin dan bansos.", "Operator bilang NIK sudah dipakai."),
    ),
    "ketertiban-pkl": (
        ("pedagang kaki lima", "lapak PKL", "gerobak pedagang", "PKL di trotoar"),
        ("menutup trotoar", "berjualan di badan jalan", "bikin macet", "sampahnya dibuang ke got"),
        ("Pejalan kaki terpaksa jalan di aspal.", "Sudah ditertibkan tapi kembali lagi."),
    ),
    "ketertiban-parkir": (
        ("parkir liar", "juru parkir", "parkir di bahu jalan", "tukang parkir minimarket"),
        ("memungut tarif seenaknya", "bikin macet", "tidak pakai karcis", "menghalangi jalan"),
        ("Tarif parkir motor Rp5.000.", "Mobil diparkir dua lapis sampai jalan tertutup."),
    ),
    "ketertiban-bangunan-liar": (
        ("bangunan liar", "ruko tanpa IMB", "bangunan di sempadan sungai", "warung semi permanen"),
        ("berdiri di atas saluran", "menutup jalan", "dibiarkan saja", "terus bertambah"),
        ("Air tidak bisa mengalir karena got tertutup.", "Pemiliknya bilang sudah bayar ke oknum."),
    ),
    "ketertiban-kebisingan": (
        ("suara musik tempat hiburan", "knalpot brong", "bengkel las", "pesta sampai subuh"),
        ("bising tiap malam", "mengganggu istirahat", "sampai jam tiga pagi", "tidak ada izinnya"),
        ("Bayi dan orang tua tidak bisa tidur.", "Sudah ditegur RT tapi tidak peduli."),
    ),
    "ketertiban-keamanan": (
        ("aksi begal", "pencurian motor", "balap liar", "geng motor"),
        ("makin sering", "terjadi lagi", "meresahkan warga", "belum ditangkap"),
        ("Korbannya sudah tiga orang bulan ini.", "Warga takut keluar malam."),
    ),
    "perhubungan-angkutan-umum": (
        ("angkot", "bus kota", "sopir angkutan", "trayek bus desa"),
        ("ngetem sembarangan", "tarifnya dinaikkan sepihak", "ugal-ugalan", "sudah tidak beroperasi"),
        ("Penumpang diturunkan di tengah jalan.", "Anak sekolah susah berangkat pagi."),
    ),
    "perhubungan-lalu-lintas": (
        ("lampu lalu lintas", "rambu jalan", "marka dan zebra cross", "simpang empat"),
        ("mati", "tertutup pohon", "sudah pudar", "macet parah setiap sore"),
        ("Hampir terjadi tabrakan setiap hari.", "Tidak ada petugas yang mengatur."),
    ),
    "perhubungan-sim-stnk": (
        ("perpanjangan SIM", "pembuatan SIM", "STNK dan pajak kendaraan", "pelat nomor"),
        ("lewat calo lebih cepat", "dipersulit", "belum jadi berbulan-bulan", "dimintai biaya tambahan"),
        ("Ujian praktik dibuat sulit supaya pakai jalur belakang.", "Pelat nomor tidak kunjung dikirim."),
    ),
    "perhubungan-pelabuhan-bandara": (
        ("kapal penyeberangan", "pelabuhan", "tiket kapal", "bandara"),
        ("jadwalnya tidak menentu", "dikuasai calo", "antrean kendaraan berhari-hari", "fasilitasnya kotor"),
        ("Penumpang tidur di lantai ruang tunggu.", "Harga tiket dua kali lipat di calo."),
    ),
    "perhubungan-kereta": (
        ("perlintasan kereta", "palang pintu rel", "stasiun", "KRL pagi"),
        ("tanpa penjaga", "sering terlambat", "berdesakan", "rusak"),
        ("Sudah ada korban tertabrak kereta.", "Penumpang pingsan karena penuh."),
    ),
    "sosial-bansos": (
        ("bantuan sembako", "BLT", "bansos beras", "bantuan sosial tunai"),
        ("tidak tepat sasaran", "dipotong oleh aparat", "tidak pernah diterima", "diberikan ke keluarga perangkat"),
        ("Tetangga yang punya mobil malah dapat.", "Kami keluarga miskin tapi tidak terdata."),
    ),
    "sosial-pkh": (
        ("dana PKH", "bantuan PKH", "kartu KKS", "pendamping PKH"),
        ("tiba-tiba berhenti", "saldonya kosong", "ATM ditahan pendamping", "dipotong tiap pencairan"),
        ("Pendamping minta uang setiap pencairan.", "Nama kami dicoret tanpa alasan."),
    ),
    "sosial-dtks": (
        ("data DTKS", "pendataan keluarga miskin", "nama kami di DTKS", "usulan DTKS"),
        ("tidak terdaftar", "dicoret", "tidak diperbarui", "orang mampu masuk daftar"),
        ("Sudah mengusulkan lewat desa dua kali.", "Karena tidak terdata, kami tidak dapat bantuan."),
    ),
    "sosial-disabilitas": (
        ("lansia terlantar", "penyandang disabilitas", "kursi roda bantuan", "orang dengan gangguan jiwa"),
        ("tidak ada yang mengurus", "tidak dapat bantuan", "dipasung keluarga", "tidak bisa akses kantor"),
        ("Tinggal sendiri di gubuk.", "Kantor pelayanan tidak punya jalur kursi roda."),
    ),
    "sosial-anak-perempuan": (
        ("anak tetangga", "ibu rumah tangga", "anak jalanan", "korban KDRT"),
        ("sering dipukuli", "dipekerjakan", "dinikahkan di bawah umur", "butuh perlindungan"),
        ("Kami takut melapor ke polisi langsung.", "Anak itu tidak sekolah lagi."),
    ),
    "ketenagakerjaan-upah": (
        ("gaji karyawan", "THR", "upah lembur", "upah buruh pabrik"),
        ("di bawah UMK", "belum dibayar", "dicicil perusahaan", "dipotong tanpa alasan"),
        ("Lebaran tinggal seminggu lagi.", "Kerja 12 jam sehari tanpa uang lembur."),
    ),
    "ketenagakerjaan-bpjs": (
        ("BPJS Ketenagakerjaan", "JHT saya", "iuran BPJS karyawan", "klaim jaminan hari tua"),
        ("tidak dibayarkan perusahaan", "susah dicairkan", "ditolak", "tidak didaftarkan"),
        ("Gaji sudah dipotong untuk iuran.", "Sudah tiga kali bolak-balik ke kantor cabang."),
    ),
    "ketenagakerjaan-phk": (
        ("PHK sepihak", "pemecatan karyawan", "pesangon", "kontrak kerja"),
        ("tanpa pesangon", "tanpa surat peringatan", "tidak dibayar", "diputus tiba-tiba"),
        ("Sudah bekerja delapan tahun di perusahaan itu.", "Serikat pekerja tidak ditanggapi."),
    ),
    "ketenagakerjaan-pmi": (
        ("TKI", "pekerja migran", "agen penyalur TKW", "adik saya di Malaysia"),
        ("tidak bisa dihubungi", "gajinya tidak dibayar majikan", "berangkat lewat jalur ilegal", "ditahan paspornya"),
        ("Keluarga sudah lapor ke agen tapi tidak ditanggapi.", "Dia minta tolong dipulangkan."),
    ),
    "ketenagakerjaan-k3": (
        ("alat pelindung diri", "keselamatan kerja", "kecelakaan kerja", "pekerja proyek"),
        ("tidak disediakan", "diabaikan perusahaan", "tidak ditanggung", "tanpa helm dan sabuk"),
        ("Ada pekerja jatuh dari lantai tiga.", "Mesin tanpa pengaman."),
    ),
    "pajak-keuangan-pajak-pusat": (
        ("NPWP", "SPT tahunan", "PPN", "pemotongan PPh"),
        ("tidak bisa lapor online", "kena denda padahal sudah lapor", "salah hitung", "tidak dilayani"),
        ("Situs pajak error terus.", "Bukti potong dari kantor tidak diberikan."),
    ),
    "pajak-keuangan-pajak-daerah": (
        ("retribusi pasar", "pajak restoran", "retribusi sampah", "pajak reklame"),
        ("ditarik tanpa karcis", "naik tiba-tiba", "ditagih dua kali", "tidak jelas dasarnya"),
        ("Pedagang kecil ikut ditagih.", "Petugas penagih tidak pakai seragam."),
    ),
    "pajak-keuangan-pbb": (
        ("PBB rumah", "SPPT PBB", "tagihan PBB", "NJOP tanah"),
        ("naik berlipat", "salah luas tanah", "tidak sampai ke rumah", "masih atas nama pemilik lama"),
        ("Tahun lalu hanya Rp200.000, sekarang Rp1.500.000.", "Sudah balik nama tapi tagihan tetap."),
    ),
    "pajak-keuangan-bea-cukai": (
        ("paket kiriman dari luar negeri", "barang impor", "rokok ilegal", "bea masuk"),
        ("tertahan di bea cukai", "dikenakan biaya mahal", "dijual bebas", "tidak jelas perhitungannya"),
        ("Paket sudah sebulan tidak keluar.", "Nilai barang ditaksir lebih tinggi."),
    ),
    "pajak-keuangan-jasa-keuangan": (
        ("pinjol", "penagih utang", "kredit bank", "rekening tabungan"),
        ("meneror keluarga", "bunganya mencekik", "saldo hilang", "data saya disebar"),
        ("Kontak di HP saya dihubungi semua.", "Bank tidak mau mengganti uang nasabah."),
    ),
    "pertanahan-sertifikat": (
        ("sertifikat tanah", "program PTSL", "pengukuran tanah", "balik nama sertifikat"),
        ("belum terbit bertahun-tahun", "dipungut biaya mahal", "salah ukur", "berkas hilang"),
        ("Sudah bayar ke panitia desa.", "Petugas BPN tidak datang mengukur."),
    ),
    "pertanahan-sengketa": (
        ("batas tanah", "tanah warisan", "lahan pertanian", "tanah kami"),
        ("diklaim orang lain", "dipagar tetangga", "sengketa dengan perusahaan", "diserobot"),
        ("Kami punya girik dan bukti pajak.", "Mediasi di desa tidak ada hasil."),
    ),
    "pertanahan-tata-ruang": (
        ("izin bangunan di jalur hijau", "perumahan baru", "pembangunan gudang", "alih fungsi sawah"),
        ("melanggar tata ruang", "menutup resapan air", "di kawasan lindung", "tanpa sosialisasi"),
        ("Sawah di sekitarnya jadi kebanjiran.", "Warga tidak pernah diajak bicara."),
    ),
    "pertanahan-mafia-tanah": (
        ("sertifikat ganda", "oknum makelar tanah", "tanah orang tua saya", "akta jual beli"),
        ("dipalsukan", "dijual tanpa sepengetahuan kami", "diterbitkan atas nama orang lain", "dimainkan oknum"),
        ("Kami tidak pernah menjual tanah itu.", "Ada orang mengaku pemilik membawa sertifikat."),
    ),
    "energi-listrik": (
        ("listrik PLN", "token listrik", "meteran listrik", "kabel listrik"),
        ("padam berjam-jam", "tagihan melonjak", "tidak bisa diisi", "menjuntai ke jalan"),
        ("Peralatan elektronik warga rusak.", "Sudah lapor lewat aplikasi PLN tapi belum datang."),
    ),
    "energi-bbm": (
        ("SPBU", "solar", "pertalite", "antrean BBM"),
        ("sering kosong", "dijual ke pengecer pakai jeriken", "takarannya kurang", "antre berjam-jam"),
        ("Nelayan tidak bisa melaut.", "Truk antre sampai ke jalan raya."),
    ),
    "energi-lpg": (
        ("gas melon", "elpiji 3 kg", "tabung gas", "pangkalan elpiji"),
        ("langka", "harganya di atas HET", "isinya kurang", "dijual ke rumah makan"),
        ("Harga sampai Rp35.000 per tabung.", "Warga antre dari pagi di pangkalan."),
    ),
    "energi-tambang": (
        ("tambang pasir", "galian C", "tambang batu bara", "lubang bekas tambang"),
        ("ilegal", "merusak jalan desa", "tidak ditutup", "mencemari sungai"),
        ("Truk tambang lewat siang malam.", "Sudah ada anak tenggelam di bekas galian."),
    ),
    "pelayanan-publik-perizinan": (
        ("izin usaha", "NIB di OSS", "PBG", "izin keramaian"),
        ("tidak terbit-terbit", "ditolak tanpa alasan", "dimintai uang tambahan", "sistemnya error"),
        ("Berkas sudah lengkap sejak dua bulan.", "Petugas menyarankan pakai jasa biro."),
    ),
    "pelayanan-publik-asn": (
        ("pegawai kantor kecamatan", "oknum ASN", "petugas kelurahan", "pegawai dinas"),
        ("main HP saat melayani", "sering bolos", "tidak ramah", "berpolitik praktis"),
        ("Jam sembilan kantor masih kosong.", "Warga dibentak saat bertanya."),
    ),
    "pelayanan-publik-standar": (
        ("pelayanan di kantor kecamatan", "loket pelayanan", "jam pelayanan", "standar pelayanan"),
        ("tidak jelas", "tidak dipasang", "tutup lebih awal", "tidak sesuai maklumat"),
        ("Tidak ada informasi biaya dan waktu.", "Antrean tanpa nomor."),
    ),
    "pelayanan-publik-desa": (
        ("dana desa", "kepala desa", "perangkat desa", "BUMDes"),
        (
            "tidak transparan",
            "dipakai untuk kepentingan pribadi",
            "tidak pernah rapat dengan warga",
            "proyeknya fiktif",
        ),
        ("Papan informasi anggaran tidak pernah dipasang.", "Jalan desa yang dianggarkan tidak dibangun."),
    ),
    "pelayanan-publik-informasi": (
        ("permohonan informasi", "dokumen anggaran", "data penerima bantuan", "laporan keuangan desa"),
        ("tidak dijawab", "ditolak diberikan", "dipersulit", "sudah lewat batas waktu"),
        ("Surat permohonan sudah dikirim bulan lalu.", "PPID tidak merespons."),
    ),
    "korupsi-pungli": (
        ("oknum petugas", "pungutan di loket", "uang pelicin", "petugas di kantor"),
        ("minta uang tanpa kuitansi", "memungut biaya yang seharusnya gratis", "minta uang rokok", "memaksa bayar"),
        ("Kalau tidak bayar berkas ditaruh paling bawah.", "Warga takut melapor."),
    ),
    "korupsi-gratifikasi": (
        ("pejabat dinas", "oknum pegawai", "panitia seleksi", "kepala kantor"),
        ("menerima suap", "minta setoran", "minta hadiah", "meloloskan yang bayar"),
        ("Ada yang bayar puluhan juta supaya lolos.", "Buktinya ada rekaman percakapan."),
    ),
    "korupsi-pengadaan": (
        ("proyek pembangunan", "tender proyek", "pengadaan barang", "proyek jalan"),
        ("dimenangkan kerabat pejabat", "dikerjakan asal jadi", "di-mark up", "fiktif"),
        ("Baru tiga bulan sudah rusak lagi.", "Papan proyek tidak mencantumkan nilai."),
    ),
    "korupsi-penyalahgunaan": (
        ("kendaraan dinas", "camat", "kepala dinas", "aparat desa"),
        ("dipakai untuk urusan pribadi", "menyalahgunakan jabatan", "mengintimidasi warga", "memihak pengusaha"),
        ("Mobil plat merah dipakai mudik.", "Warga yang protes diancam."),
    ),
    "bencana-banjir": (
        ("banjir", "longsor", "tanggul sungai", "air bah"),
        ("merendam rumah warga", "menutup jalan", "jebol", "datang setiap hujan"),
        ("Ketinggian air sampai sepinggang.", "Tebing di belakang rumah mulai retak."),
    ),
    "bencana-gempa": (
        ("rumah korban gempa", "bantuan perbaikan rumah", "sekolah yang rusak karena gempa", "jalur evakuasi tsunami"),
        ("belum diperbaiki", "bantuannya belum cair", "retak berat", "tidak ada rambunya"),
        ("Warga masih tinggal di tenda.", "Sirene peringatan tidak berbunyi."),
    ),
    "bencana-bantuan": (
        ("bantuan korban banjir", "posko pengungsian", "logistik bencana", "pengungsi"),
        ("tidak merata", "kekurangan air bersih", "belum sampai", "dibagi ke kerabat petugas"),
        ("Anak-anak pengungsi mulai sakit.", "Bantuan menumpuk di kantor desa."),
    ),
    "bencana-mitigasi": (
        ("sirene peringatan dini", "tanggul", "jalur evakuasi", "tebing rawan longsor"),
        ("rusak", "belum dibangun", "tidak ada tanda", "dibiarkan"),
        ("Musim hujan sudah dekat.", "Tahun lalu kampung kami kena longsor."),
    ),
    "agama-haji-umrah": (
        ("travel umrah", "keberangkatan haji", "setoran haji", "biro perjalanan umrah"),
        ("gagal berangkat", "uangnya tidak kembali", "ditunda terus", "tidak berizin"),
        ("Sudah setor Rp30 juta.", "Kantor travelnya sudah tutup."),
    ),
    "agama-nikah": (
        ("pendaftaran nikah di KUA", "buku nikah", "biaya nikah", "penghulu"),
        ("dimintai biaya lebih", "belum jadi", "datang terlambat", "salah nama"),
        ("Nikah di kantor KUA seharusnya gratis.", "Kami butuh buku nikah untuk urus KK."),
    ),
    "agama-madrasah": (
        ("madrasah", "guru madrasah", "tunjangan guru ngaji", "bantuan pesantren"),
        ("gedungnya rusak", "belum dibayar", "dipotong", "tidak pernah diterima"),
        ("Murid belajar di serambi masjid.", "Gurunya sudah enam bulan tidak terima honor."),
    ),
    "agama-halal": (
        ("sertifikat halal", "label halal", "usaha makanan kami", "pendaftaran halal gratis"),
        ("tidak terbit", "palsu", "prosesnya lama", "ditolak"),
        ("UMKM kecil tidak mampu bayar pendamping.", "Restoran pakai logo halal tanpa sertifikat."),
    ),
    "lainnya-pertanian": (
        ("pupuk subsidi", "bibit bantuan", "irigasi sawah", "harga gabah"),
        ("langka", "dijual di atas HET", "tidak sampai ke petani", "anjlok"),
        ("Kelompok tani sudah mengajukan RDKK.", "Musim tanam sudah mulai."),
    ),
    "lainnya-pariwisata": (
        ("objek wisata", "tiket masuk pantai", "cagar budaya", "pungutan di tempat wisata"),
        ("tidak terawat", "tarifnya tidak resmi", "rusak dan kotor", "dikuasai preman"),
        ("Wisatawan kecewa dan mengeluh di medsos.", "Toilet umum tidak berfungsi."),
    ),
    "lainnya-umum": (
        ("pelayanan pemerintah", "hal ini", "masalah di lingkungan kami", "urusan warga"),
        ("tidak ada tindak lanjut", "dibiarkan saja", "tidak jelas siapa yang mengurus", "sangat mengecewakan"),
        ("Sudah lapor ke RT dan RW.", "Kami bingung harus mengadu ke mana."),
    ),
}

# Categories citizens confuse with each other beyond siblings (a report's words may fit these).
CONFUSED = {
    "pendidikan-pungutan": ("korupsi-pungli", "pendidikan-bantuan"),
    "kependudukan-akta": ("korupsi-pungli", "kependudukan-kk"),
    "korupsi-pungli": ("pendidikan-pungutan", "kependudukan-akta", "pajak-keuangan-pajak-daerah"),
    "infrastruktur-drainase": ("bencana-banjir", "lingkungan-sampah"),
    "bencana-banjir": ("infrastruktur-drainase", "bencana-bantuan"),
    "lingkungan-sampah": ("infrastruktur-drainase", "lingkungan-pencemaran"),
    "kesehatan-bpjs": ("ketenagakerjaan-bpjs", "kesehatan-rumah-sakit"),
    "ketenagakerjaan-bpjs": ("kesehatan-bpjs",),
    "sosial-bansos": ("sosial-pkh", "sosial-dtks", "bencana-bantuan"),
    "infrastruktur-penerangan": ("energi-listrik",),
    "energi-listrik": ("infrastruktur-penerangan",),
    "ketertiban-parkir": ("perhubungan-lalu-lintas", "ketertiban-pkl"),
    "perhubungan-lalu-lintas": ("ketertiban-parkir",),
    "pelayanan-publik-asn": ("korupsi-penyalahgunaan", "pelayanan-publik-standar"),
    "korupsi-pengadaan": ("infrastruktur-jalan", "infrastruktur-bangunan"),
    "pertanahan-sertifikat": ("pertanahan-mafia-tanah", "korupsi-pungli"),
    "lingkungan-pencemaran": ("lingkungan-limbah",),
    "lingkungan-limbah": ("lingkungan-pencemaran",),
    "pendidikan-bantuan": ("sosial-bansos",),
    "agama-madrasah": ("pendidikan-sarana", "pendidikan-guru"),
}

OPENINGS = (
    "",
    "",
    "",
    "Selamat pagi admin, ",
    "Mohon bantuannya, ",
    "Assalamualaikum, ",
    "Min tolong, ",
    "Saya mau melaporkan bahwa ",
    "Permisi pak/bu, ",
)
PLACES = ("di desa kami", "di kampung kami", "di RT 03", "dekat pasar", "depan SD", "di perumahan kami", "di gang kami")
SINCE = ("sejak {n} hari lalu", "sudah {n} minggu", "dari bulan lalu", "sudah {n} bulan", "dari kemarin", "sejak lama")
ASKS = (
    "Mohon segera ditindaklanjuti.",
    "Tolong diperhatikan pak.",
    "Kami sudah lapor ke RT tapi tidak ada tanggapan.",
    "Mohon dicek ke lapangan.",
    "Sampai kapan dibiarkan seperti ini?",
    "Terima kasih.",
    "",
)
VAGUE_TITLES = (
    "Mohon perhatian",
    "Keluhan warga",
    "Pelayanan buruk",
    "Tolong ditindak",
    "Laporan masalah",
    "Minta tolong",
)
VAGUE_BODIES = (
    "Pelayanan sangat mengecewakan dan petugas tidak peduli.",
    "Masalah ini sudah lama tapi tidak ada yang mengurus.",
    "Warga sudah berkali-kali mengeluh tapi tidak didengar.",
    "Kami minta pemerintah turun tangan.",
)
# How people shorten words in chat (applied to some reports).
INFORMAL = (("tidak", "gak"), ("sudah", "udah"), ("yang", "yg"), ("tolong", "tlg"), ("sampai", "sampe"), ("saya", "sy"))


def neighbours(code: str) -> tuple[str, ...]:
    """The categories `code` is confused with: its listed confusions and its siblings."""
    parent = code.rsplit("-", 1)[0] if code.count("-") else code
    siblings = tuple(c for c in TEXT if c != code and c.startswith(parent + "-"))
    return CONFUSED.get(code, ()) + siblings


_NEIGHBOURS = {code: neighbours(code) or (code,) for code in TEXT}


def _typo(rng, text: str) -> str:
    """Swap two neighbouring letters of one word (a slip of the thumb)."""
    words = text.split(" ")
    i = rng.randrange(len(words))
    w = words[i]
    if len(w) > 4:
        j = rng.randrange(1, len(w) - 2)
        words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2 :]
    return " ".join(words)


def _short(regency: str) -> str:
    for prefix in ("Kabupaten ", "Kota "):
        if regency.startswith(prefix):
            return regency[len(prefix) :]
    return regency


def story(rng, code: str, *, regency: str = "", district: str = "", drift: bool = True) -> tuple[str, str]:
    """A title and body for a report a verifier routed to sub-category `code`, as a citizen of
    `regency` (name) might have written it; without `drift`, never vague nor worded like another
    category (the demo's retellings of one problem)."""
    roll = rng.random() if drift else 1.0
    vague = roll < 0.06
    # About one report in eight is worded like a neighbouring category's (or the citizen mixed two).
    source = rng.choice(_NEIGHBOURS[code]) if 0.06 <= roll < 0.19 else code
    things, troubles, details = TEXT.get(source) or TEXT["lainnya-umum"]
    thing, trouble = rng.choice(things), rng.choice(troubles)
    where = district and rng.random() < 0.5 and f"di kecamatan {district}" or rng.choice(PLACES)
    town = _short(regency) if regency else ""
    shape = rng.randrange(6)
    if vague:
        title = rng.choice(VAGUE_TITLES) + (f" {town}" if town and shape < 3 else "")
    elif shape == 0:
        title = f"{thing} {trouble}"
    elif shape == 1:
        title = f"{thing} {where} {trouble}"
    elif shape == 2:
        title = f"Keluhan {thing} {town}".rstrip()
    elif shape == 3:
        title = f"Tolong {thing} {trouble}"
    elif shape == 4:
        title = f"Kenapa {thing} {trouble}?"
    else:
        title = f"{trouble} - {thing} {where}"
    title = title[0].upper() + title[1:]
    since = rng.choice(SINCE).format(n=rng.randint(2, 9))
    if vague:
        body = f"{rng.choice(OPENINGS)}{rng.choice(VAGUE_BODIES)} {rng.choice(details)} {rng.choice(ASKS)}"
    else:
        body = f"{rng.choice(OPENINGS)}{thing} {where} {trouble} {since}. {rng.choice(details)}"
        if rng.random() < 0.4:  # a second thought, often about the neighbouring problem
            other = TEXT[rng.choice(_NEIGHBOURS[code])] if rng.random() < 0.5 else TEXT[source]
            body += f" Selain itu {rng.choice(other[0])} juga {rng.choice(other[1])}."
        if town and rng.random() < 0.5:
            body += f" Lokasi: {where}, {regency}."
        body += f" {rng.choice(ASKS)}"
    body = body.strip()
    body = body[0].upper() + body[1:]
    style = rng.random()
    if style < 0.3:
        lowered = body.lower()
        for word, short in INFORMAL:
            lowered = lowered.replace(f" {word} ", f" {short} ")
        body = lowered
    if style > 0.85:
        body = _typo(rng, body)
    if 0.7 < style < 0.8:
        title = _typo(rng, title)
    return title[:200], body
